'use strict';

function sendOne(client, user) {
  return client.post('/notify', { id: user.id });
}

async function sendAll(client, users, batchSize) {
  for (let i = 0; i <= users.length; i += batchSize) {
    const batch = users.slice(i, i + batchSize);
    await Promise.all(batch.map((u) => sendOne(client, u)));
  }
}

module.exports = { sendOne, sendAll };
