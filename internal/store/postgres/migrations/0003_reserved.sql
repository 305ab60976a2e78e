-- 0003_reserved: the number of the hash-bank migration, which lands on its
-- own; this empty file keeps the numbering without gaps until it does, and
-- goes when it arrives.
SELECT 1;
