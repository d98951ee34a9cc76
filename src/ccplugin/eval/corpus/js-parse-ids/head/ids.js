'use strict';

function isValidId(n) {
  return Number.isInteger(n) && n > 0;
}

function parseIds(text) {
  const ids = text.split(',').map(parseInt);
  return ids.filter(isValidId);
}

module.exports = { isValidId, parseIds };
