import {
  chatCancelInput,
  chatDeleteInput,
  chatMessagesInput,
  chatRenameInput,
  chatRunningReplyInput,
  chatTaskInput,
  sendMessageInput,
} from "@wavelength/shared";
import { coSubjectsOf, subjectOf } from "../identity.ts";
import { publicProcedure, router } from "../trpc.ts";

export const chatRouter = router({
  /** What is configured, with context window, prices and whether the caller's tier may use it. */
  models: publicProcedure.query(async ({ ctx }) => {
    const subject = subjectOf(ctx.identity);
    const now = ctx.services.clock.now();
    return Promise.all(
      ctx.services.chat.models(subject.tier).map(async (m) => {
        const p = await ctx.services.prices.priceFor(m.provider, m.model, now);
        return {
          ...m,
          reason: m.allowed ? null : `Not included in the ${subject.tier} plan`,
          price: {
            inputPerMillionMicros: p.inputPerMillionMicros,
            outputPerMillionMicros: p.outputPerMillionMicros,
            cachedInputPerMillionMicros: p.cachedInputPerMillionMicros,
            fallback: p.fallback,
          },
        };
      }),
    );
  }),

  /**
   * Admits (a denial is TOO_MANY_REQUESTS with data.quota naming every binding
   * limit), saves the message and starts the reply in the background.
   */
  send: publicProcedure
    .input(sendMessageInput)
    .mutation(({ ctx, input }) => ctx.services.chat.send(subjectOf(ctx.identity), coSubjectsOf(ctx.identity), input)),

  /**
   * Polled: the status, the reply's text after `cursor` and the cursor to send next, usage once
   * settled. Any instance answers; the one running the reply answers from memory.
   */
  task: publicProcedure
    .input(chatTaskInput)
    .query(({ ctx, input }) => ctx.services.chat.task(subjectOf(ctx.identity).key, input.taskId, input.cursor ?? 0)),

  /** The reply still running in a conversation, if any, so that a page opened mid-reply resumes it. */
  runningReply: publicProcedure
    .input(chatRunningReplyInput)
    .query(({ ctx, input }) => ctx.services.chat.runningReply(subjectOf(ctx.identity).key, input.conversationId)),

  cancel: publicProcedure
    .input(chatCancelInput)
    .mutation(({ ctx, input }) => ctx.services.chat.cancel(subjectOf(ctx.identity).key, input.taskId)),

  rename: publicProcedure
    .input(chatRenameInput)
    .mutation(({ ctx, input }) =>
      ctx.services.chat.rename(subjectOf(ctx.identity).key, input.conversationId, input.title),
    ),

  /** Deletes a conversation and its messages; usage already recorded stays in the ledger. */
  delete: publicProcedure
    .input(chatDeleteInput)
    .mutation(({ ctx, input }) => ctx.services.chat.remove(subjectOf(ctx.identity).key, input.conversationId)),

  conversations: publicProcedure.query(({ ctx }) => ctx.services.chat.conversations(subjectOf(ctx.identity).key)),

  messages: publicProcedure
    .input(chatMessagesInput)
    .query(({ ctx, input }) => ctx.services.chat.messages(subjectOf(ctx.identity).key, input)),
});
