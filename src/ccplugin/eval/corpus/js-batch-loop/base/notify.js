'use strict';

function sendOne(client, user) {
  return client.post('/notify', { id: user.id });
}

module.exports = { sendOne };
