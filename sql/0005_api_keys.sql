-- 0005: what ApiKeys needs.
--
-- Keys of the legacy app are stored as sha1 digests; pgcrypto's digest()
-- computes them (sha256() is built in since PostgreSQL 11). pgcrypto is
-- a trusted extension, so the database's owner may create it.
--
-- Authenticate looks a key up by both of its digests in one statement;
-- the unique index on key_hash serves both (a BitmapOr of two index
-- scans), so no further index is needed.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
