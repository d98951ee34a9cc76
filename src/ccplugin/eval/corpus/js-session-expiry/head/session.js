'use strict';

const config = { sessionLifetimeMinutes: 30 };

function newSession(userId) {
  return { userId, createdAt: Date.now() };
}

function isExpired(session, now = Date.now()) {
  const lifetimeMs = config.sessionLifetimeMinutes * 1000;
  return now - session.createdAt > lifetimeMs;
}

module.exports = { config, newSession, isExpired };
