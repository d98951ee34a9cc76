'use strict';

const { formatUser } = require('./format');

module.exports = { label: (u) => formatUser(u) };
