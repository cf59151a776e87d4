-- CreateTable
CREATE TABLE "quota_denials" (
    "id" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "scope" "QuotaScope" NOT NULL,
    "window" "WindowType" NOT NULL,
    "dimension" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "quota_denials_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "quota_denials_subject_at_idx" ON "quota_denials"("subject", "at");

