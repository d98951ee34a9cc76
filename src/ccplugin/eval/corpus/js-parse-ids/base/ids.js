'use strict';

function isValidId(n) {
  return Number.isInteger(n) && n > 0;
}

module.exports = { isValidId };
