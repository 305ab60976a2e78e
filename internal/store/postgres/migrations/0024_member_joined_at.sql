-- When a member last became joined (microseconds; 0 if never, or unknown
-- for a membership that ended before this column). A member under 18 sees
-- a conversation's messages only from this time on (docs/policy.md). A
-- current joined membership's last change was its joining. The other
-- store's migration of the same number is the same.
ALTER TABLE members ADD COLUMN joined_at BIGINT NOT NULL DEFAULT 0;
UPDATE members SET joined_at = updated_at WHERE state = 'joined';
