ALTER TABLE principals DROP CONSTRAINT principals_affinity_group_check;
ALTER TABLE principals ADD CONSTRAINT principals_affinity_group_check
    CHECK (affinity_group IN ('Agent', 'Individual', 'Organisation'));
