-- HMRC staff (HMRC's STRIDE role) are principals too: they end relationships and read clients' requests across
-- agents, and only they may make HMRC's maintenance calls (docs/domain.md §10).
ALTER TABLE principals DROP CONSTRAINT principals_affinity_group_check;
ALTER TABLE principals ADD CONSTRAINT principals_affinity_group_check
    CHECK (affinity_group IN ('Agent', 'Individual', 'Organisation', 'HmrcStaff'));
