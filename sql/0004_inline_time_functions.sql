-- 0004: make billing_us and billing_ts inlinable.
--
-- They were declared IMMUTABLE, but their bodies use timestamptz
-- arithmetic and extract(), which PostgreSQL marks STABLE; a function
-- whose body is less immutable than its declaration is never inlined,
-- so every call went through the SQL-function executor, which parses
-- the body again for each statement (most of the CPU of a payment, and
-- a good part of each renewal). Declared STABLE, as their bodies are,
-- the planner replaces each call with its expression.
CREATE OR REPLACE FUNCTION billing_us(t timestamptz) RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (extract(epoch FROM t) * 1000000)::bigint;

CREATE OR REPLACE FUNCTION billing_ts(us bigint) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN 'epoch'::timestamptz + us * interval '1 microsecond';
