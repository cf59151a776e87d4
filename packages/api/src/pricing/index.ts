export {
  PriceBook,
  costMicros,
  estimateCostMicros,
  type FallbackPrice,
  type Price,
  type PriceBookOptions,
} from "./price-book.ts";
