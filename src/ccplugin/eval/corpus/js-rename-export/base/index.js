'use strict';

const { fmtUser } = require('./format');

module.exports = { label: (u) => fmtUser(u) };
