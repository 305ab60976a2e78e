-- The age band the platform last acted on for each account (a guardian's
-- approvals, the rules for adults), so that a birthday's consequences are
-- applied once. Empty: not yet seen; the first look records the band.
ALTER TABLE accounts ADD COLUMN acted_band TEXT NOT NULL DEFAULT '';
