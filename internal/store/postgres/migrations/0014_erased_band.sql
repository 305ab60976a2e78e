-- 0014_erased_band: a deleted account whose date of birth is erased keeps
-- the age band it had when it was deleted ('child', 'teen' or 'adult'), so
-- that the nickname checks of sign-up count it among adults only if it was
-- one, never on an empty date of birth. Accounts deleted before this keep
-- '' and count as no adult. The migration of the same number of the other
-- store is the same.

ALTER TABLE accounts ADD COLUMN erased_band TEXT NOT NULL DEFAULT '';
