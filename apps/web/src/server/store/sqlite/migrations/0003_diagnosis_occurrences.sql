-- One row per occurrence of a diagnosis: the id becomes `<stable key>@<first_seen>`, so a problem that
-- resolves and comes back gets a new row instead of overwriting its past occurrence. Rows stored before
-- this migration (where a recurrence overwrote the previous one) get the suffix of their first_seen.
UPDATE diagnoses SET id = id || '@' || first_seen
WHERE substr(id, -length('@' || first_seen)) <> '@' || first_seen;
