package io.mingus.db.internal;

import java.io.IOException;
import java.lang.ref.SoftReference;
import java.math.BigInteger;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

/**
 * The versioned SQL migrations a module ships, listed without Flyway (whose scanner, class loading
 * and validation cost a server's start a few hundred milliseconds on a 48 MB jar), and whether a
 * database's history table already records all of them: then a start has nothing to apply and
 * skips Flyway. Anything this listing does not understand (a location that is neither a folder nor
 * a jar, a file other than {@code V<version>__<description>.sql}) answers "unknown", and Flyway runs.
 */
public final class ShippedMigrations {
  private static final Pattern VERSIONED = Pattern.compile("V([0-9]+(?:[._][0-9]+)*)__[^/]*\\.sql");

  private ShippedMigrations() {}

  /**
   * The normalized versions ({@code "1"}, {@code "2.1"}) of the versioned SQL migrations under
   * these {@code classpath:} locations, or empty when they cannot be listed exactly.
   */
  public static Optional<Set<String>> versions(ClassLoader loader, List<String> locations) {
    Set<String> versions = new HashSet<>();
    try {
      for (String location : locations) {
        if (!location.startsWith("classpath:")) {
          return Optional.empty();
        }
        String folder = location.substring("classpath:".length()).replaceAll("^/+|/+$", "") + "/";
        for (URL url : Collections.list(loader.getResources(folder))) {
          List<String> names = switch (url.getProtocol()) {
            case "file" -> files(url);
            case "jar" -> entries(url);
            default -> null;
          };
          if (names == null) {
            return Optional.empty();
          }
          for (String name : names) {
            Matcher m = VERSIONED.matcher(name);
            if (!m.matches()) {
              return Optional.empty();
            }
            versions.add(normalize(m.group(1)));
          }
        }
      }
    } catch (IOException | URISyntaxException | RuntimeException e) {
      return Optional.empty();
    }
    return Optional.of(versions);
  }

  /**
   * Whether {@code table} (Flyway's history table, in {@code schema} or the connection's current
   * one) records a successful migration of every version in {@code shipped}; false when the table
   * cannot be read (a new database).
   */
  public static boolean allApplied(Connection c, String schema, String table, Set<String> shipped) {
    String name = (schema == null ? "" : quote(schema) + ".") + quote(table);
    Set<String> applied = new HashSet<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT \"version\" FROM " + name + " WHERE \"success\" AND \"version\" IS NOT NULL")) {
      while (rs.next()) {
        applied.add(normalize(rs.getString(1)));
      }
    } catch (SQLException | RuntimeException e) {
      return false;
    }
    return applied.containsAll(shipped);
  }

  /** {@code "01_2.0"} as {@code "1.2"}: Flyway's version equality. */
  static String normalize(String version) {
    List<BigInteger> parts = new ArrayList<>();
    for (String p : version.split("[._]")) {
      parts.add(new BigInteger(p));
    }
    while (parts.size() > 1 && parts.getLast().signum() == 0) {
      parts.removeLast();
    }
    return String.join(".", parts.stream().map(BigInteger::toString).toList());
  }

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  private static List<String> files(URL url) throws IOException, URISyntaxException {
    Path dir = Path.of(url.toURI());
    try (Stream<Path> files = Files.list(dir)) {
      List<String> names = new ArrayList<>();
      for (Path f : files.toList()) {
        if (!Files.isRegularFile(f)) {
          return null; // sub-folders are scanned by Flyway, not here
        }
        names.add(f.getFileName().toString());
      }
      return names;
    }
  }

  // a jar's entry names, listed once for every module of a start (iterating a 48 MB jar's entries
  // takes a few tens of milliseconds), kept while memory allows
  private static final Map<String, SoftReference<List<String>>> JARS = new ConcurrentHashMap<>();

  private static List<String> jarEntries(JarURLConnection connection) throws IOException {
    String key = connection.getJarFileURL().toString();
    SoftReference<List<String>> ref = JARS.get(key);
    List<String> names = ref == null ? null : ref.get();
    if (names == null) {
      // the JarFile is cached by the JDK (and shared): not closed here
      names = connection.getJarFile().stream().map(ZipEntry::getName).toList();
      JARS.put(key, new SoftReference<>(names));
    }
    return names;
  }

  private static List<String> entries(URL url) throws IOException {
    JarURLConnection connection = (JarURLConnection) url.openConnection();
    String prefix = connection.getEntryName();
    if (prefix == null) {
      return null;
    }
    if (!prefix.endsWith("/")) {
      prefix = prefix + "/";
    }
    List<String> names = new ArrayList<>();
    for (String name : jarEntries(connection)) {
      if (name.length() > prefix.length() && name.startsWith(prefix)) {
        String rest = name.substring(prefix.length());
        if (rest.endsWith("/") || rest.contains("/")) {
          return null;
        }
        names.add(rest);
      }
    }
    return names;
  }
}
