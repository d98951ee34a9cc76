'use strict';

const { execFileSync, execSync } = require('child_process');

function currentBranch(cwd) {
  return execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd }).toString().trim();
}

// branch comes from the dashboard's query string
function history(cwd, branch) {
  return execSync(`git log --oneline ${branch}`, { cwd }).toString();
}

module.exports = { currentBranch, history };
