-- Who gave a password reset code: 0 for an operator, else the guardian
-- whose code it is. A guardian's code works only while that guardian still
-- has guardian rights over the child and the child is under 13. The other
-- store's migration of the same number is the same.
ALTER TABLE password_resets ADD COLUMN issued_by BIGINT NOT NULL DEFAULT 0;
