-- Email addresses are unique ignoring case (issue 12): Ada@Example.com and ada@example.com are one
-- mailbox in practice. A generated column holds the lower-cased address, so every writer (the ORM,
-- plain JDBC in the benchmarks) fills it without knowing; the unique index decides between two
-- concurrent sign-ups. An existing database holding two addresses that differ only in case stops
-- this migration at the index: merge or rename one of the users, then run `mingus migrate` again.
ALTER TABLE users ADD COLUMN email_key VARCHAR(254) GENERATED ALWAYS AS (LOWER(email));
CREATE UNIQUE INDEX users_email_lower_key ON users (email_key);
