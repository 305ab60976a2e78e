-- The text of a verified report of an end-to-end encrypted message is kept
-- in the evidence vault only. Rows written before kept it in
-- detections.detail too ("plaintext"); once a case holds the detection, its
-- evidence (the detection item) has it, so it is removed from the row.
UPDATE detections
SET detail = CAST(json_remove(CAST(detail AS TEXT), '$.plaintext') AS BLOB)
WHERE source = 'franking_report'
  AND json_valid(CAST(detail AS TEXT))
  AND json_type(CAST(detail AS TEXT), '$.plaintext') IS NOT NULL
  AND id IN (SELECT detection_id FROM case_occurrences);
