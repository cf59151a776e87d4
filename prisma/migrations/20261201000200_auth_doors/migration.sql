-- Issue 10, sign-up and sign-in doors: sign-up allowances per address and site-wide, and spent
-- proof-of-work challenges (single use across instances).
-- CreateTable
CREATE TABLE "sign_up_windows" (
    "key" TEXT NOT NULL,
    "sign_ups" INTEGER NOT NULL,
    "window_start" TIMESTAMP(3) NOT NULL,
    "ends_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "sign_up_windows_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "spent_challenges" (
    "signature" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "spent_challenges_pkey" PRIMARY KEY ("signature")
);

-- CreateIndex
CREATE INDEX "sign_up_windows_ends_at_idx" ON "sign_up_windows"("ends_at");

-- CreateIndex
CREATE INDEX "spent_challenges_expires_at_idx" ON "spent_challenges"("expires_at");

