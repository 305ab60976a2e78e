-- The text of a verified report of an end-to-end encrypted message is kept
-- in the evidence vault only. Rows written before kept it in
-- detections.detail too ("plaintext"); once a case holds the detection, its
-- evidence (the detection item) has it, so it is removed from the row.
UPDATE detections
SET detail = convert_to((convert_from(detail, 'UTF8')::jsonb - 'plaintext')::text, 'UTF8')
WHERE source = 'franking_report'
  AND position('"plaintext"' IN convert_from(detail, 'UTF8')) > 0
  AND (convert_from(detail, 'UTF8')::jsonb ->> 'plaintext') IS NOT NULL
  AND id IN (SELECT detection_id FROM case_occurrences);
