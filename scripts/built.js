#!/usr/bin/env node
// Runs before `npm run start:prod`, `npm run check` and `npm run lookup`: they run the built files only (no TypeScript
// needed on a server), so say how to build them when they are missing instead of a module-not-found trace.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const missing = ['main.js', 'check.js', 'lookup-cli.js'].filter((file) => !fs.existsSync(path.join(__dirname, '..', 'dist', file)));
if (missing.length > 0) {
  process.stderr.write(
    `\nThe gateway is not built yet (dist/${missing[0]} is missing).\n` +
      '  Build it once, and again after each update:  npm run build\n' +
      '  (on a server installed with --omit=dev, build where TypeScript is installed and copy dist/ over)\n\n',
  );
  process.exit(1);
}
