import { MemoryMeteringStore } from "../../src/metering/index.ts";
import { engineSuite } from "./engine-suite.ts";

engineSuite("the memory store", async () => ({ store: new MemoryMeteringStore(), close: async () => {} }));
