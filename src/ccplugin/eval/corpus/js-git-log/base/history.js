'use strict';

const { execFileSync } = require('child_process');

function currentBranch(cwd) {
  return execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd }).toString().trim();
}

module.exports = { currentBranch };
