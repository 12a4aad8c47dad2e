import { afterEach, beforeEach, describe, it } from 'vitest';
import { defineStoreConformanceSuite } from '../../src/stores/conformance.js';
import { createMemoryStores } from '../../src/stores/memory/memory-stores.js';

defineStoreConformanceSuite('memory', () => createMemoryStores(), { describe, it, beforeEach, afterEach });
