package io.mingus.db.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShippedMigrationsTest {
  @TempDir
  Path dir;

  @Test
  void versions_are_normalized_as_flyway_compares_them() {
    assertThat(ShippedMigrations.normalize("1")).isEqualTo("1");
    assertThat(ShippedMigrations.normalize("01_2")).isEqualTo("1.2");
    assertThat(ShippedMigrations.normalize("2.0.0")).isEqualTo("2");
    assertThat(ShippedMigrations.normalize("0")).isEqualTo("0");
  }

  @Test
  void lists_the_versioned_scripts_of_a_folder_on_the_class_path() {
    Optional<Set<String>> versions = ShippedMigrations.versions(getClass().getClassLoader(),
        List.of("classpath:io/mingus/db/testmigration/common", "classpath:io/mingus/db/testmigration/h2",
            "classpath:io/mingus/db/testmigration/nowhere"));
    assertThat(versions).contains(Set.of("1", "2"));
  }

  @Test
  void lists_the_versioned_scripts_in_a_jar_and_gives_up_on_anything_else() throws IOException {
    Path jar = jar("m.jar", "db/m/V1__a.sql", "db/m/V1_1__b.sql", "db/other/V9__c.sql");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
      assertThat(ShippedMigrations.versions(loader, List.of("classpath:db/m"))).contains(Set.of("1", "1.1"));
    }
    Path repeatable = jar("r.jar", "db/m/V1__a.sql", "db/m/R__view.sql");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {repeatable.toUri().toURL()}, null)) {
      assertThat(ShippedMigrations.versions(loader, List.of("classpath:db/m"))).isEmpty();
    }
    Path nested = jar("n.jar", "db/m/V1__a.sql", "db/m/more/V2__b.sql");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {nested.toUri().toURL()}, null)) {
      assertThat(ShippedMigrations.versions(loader, List.of("classpath:db/m"))).isEmpty();
    }
    assertThat(ShippedMigrations.versions(getClass().getClassLoader(), List.of("filesystem:/tmp"))).isEmpty();
  }

  private Path jar(String name, String... entries) throws IOException {
    Path jar = dir.resolve(name);
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
      j.putNextEntry(new JarEntry("db/"));
      j.putNextEntry(new JarEntry("db/m/"));
      for (String e : entries) {
        j.putNextEntry(new JarEntry(e));
        j.write("SELECT 1;".getBytes());
        j.closeEntry();
      }
    }
    return jar;
  }
}
