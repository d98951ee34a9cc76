'use strict';

const config = { sessionLifetimeMinutes: 30 };

function newSession(userId) {
  return { userId, createdAt: Date.now() };
}

module.exports = { config, newSession };
