-- Print the TAP report of the checks in `tap`; make psql exit non-zero if any failed.
SELECT format('%s %s - %s', CASE WHEN ok THEN 'ok' ELSE 'not ok' END, n, description) FROM tap ORDER BY n;
SELECT format('1..%s', count(*)) FROM tap;
SELECT count(*) FILTER (WHERE NOT ok) AS failed, count(*) AS total, bool_or(NOT ok) AS any_failed FROM tap \gset
\if :any_failed
SELECT pg_temp.fail(format('%s of %s checks failed', :failed, :total));
\endif
