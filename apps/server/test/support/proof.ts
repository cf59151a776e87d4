import type { FastifyInstance } from "fastify";
import { solveProofOfWork, type ProofChallenge } from "@wavelength/shared/proof-of-work";

/** Fetches `auth.challenge` through `inject` and solves it: a payload for the `proof` field. */
export async function injectedProof(app: FastifyInstance): Promise<string> {
  const r = await app.inject({ method: "GET", url: "/api/trpc/auth.challenge" });
  if (r.statusCode !== 200) throw new Error(`auth.challenge answered ${r.statusCode}: ${r.body}`);
  const body = r.json<{ result: { data: { json: ProofChallenge } } }>();
  return solveProofOfWork(body.result.data.json);
}

/** The same over real HTTP. */
export async function fetchedProof(baseUrl: string): Promise<string> {
  const r = await fetch(`${baseUrl}/api/trpc/auth.challenge`);
  if (r.status !== 200) throw new Error(`auth.challenge answered ${r.status}: ${await r.text()}`);
  const body = (await r.json()) as { result: { data: { json: ProofChallenge } } };
  return solveProofOfWork(body.result.data.json);
}
