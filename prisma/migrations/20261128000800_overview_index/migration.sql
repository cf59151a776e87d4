-- The operators' overview reads every subject's hourly rows over a range of days; without an index
-- on date alone it scans the whole table (1,000,000 rows: see bench/REPORT.md).
CREATE INDEX "usage_records_date_idx" ON "usage_records"("date");
