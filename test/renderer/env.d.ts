// Lets the root typecheck (tsconfig.json includes test/) read the renderer modules these tests import.
/// <reference path="../../renderer/src/env.d.ts" />
