import { AppError, type ChatMessagesInput } from "@wavelength/shared";
import type { Db } from "@wavelength/db";

/** A caller's conversations: listing, reading, renaming, and finding a reply still running in one. */
export class Conversations {
  constructor(private readonly db: Db) {}

  async list(subjectKey: string) {
    return this.db.conversation.findMany({
      where: { subject: subjectKey },
      orderBy: { updatedAt: "desc" },
      take: 200,
      select: { id: true, title: true, createdAt: true, updatedAt: true },
    });
  }

  async messages(subjectKey: string, input: ChatMessagesInput) {
    await this.ownedOrNotFound(subjectKey, input.conversationId);
    // The newest `limit` messages (before `cursor`, to page back), oldest first for display.
    const page = await this.db.message.findMany({
      where: { conversationId: input.conversationId },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: input.limit,
      ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
      select: { id: true, role: true, content: true, provider: true, model: true, stopReason: true, createdAt: true },
    });
    return page.reverse();
  }

  /**
   * The reply still being written in this conversation, if any: a page opened (or reloaded) in
   * the middle of a reply picks it up from here and keeps streaming.
   */
  async runningReply(subjectKey: string, conversationId: string) {
    await this.ownedOrNotFound(subjectKey, conversationId);
    const task = await this.db.task.findFirst({
      where: { conversationId, subject: subjectKey, status: { in: ["queued", "running"] } },
      orderBy: { createdAt: "desc" },
      select: { id: true, messageId: true, provider: true, model: true },
    });
    return task && { taskId: task.id, messageId: task.messageId, provider: task.provider, model: task.model };
  }

  /** Tasks of the conversation still running (a delete stops them first). */
  async runningTaskIds(conversationId: string): Promise<string[]> {
    const rows = await this.db.task.findMany({
      where: { conversationId, status: { in: ["queued", "running"] } },
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  async rename(subjectKey: string, conversationId: string, title: string) {
    const r = await this.db.conversation.updateMany({
      where: { id: conversationId, subject: subjectKey },
      data: { title },
    });
    if (r.count === 0) throw new AppError("NOT_FOUND", "No such conversation.");
    return { id: conversationId, title };
  }

  /** Deletes it with its messages; usage already recorded stays in the ledger and the task rows. */
  async delete(subjectKey: string, conversationId: string) {
    const r = await this.db.conversation.deleteMany({ where: { id: conversationId, subject: subjectKey } });
    if (r.count === 0) throw new AppError("NOT_FOUND", "No such conversation.");
    return { deleted: true as const };
  }

  async ownedOrNotFound(subjectKey: string, conversationId: string): Promise<void> {
    const conv = await this.db.conversation.findFirst({
      where: { id: conversationId, subject: subjectKey },
      select: { id: true },
    });
    if (!conv) throw new AppError("NOT_FOUND", "No such conversation.");
  }
}
