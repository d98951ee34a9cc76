'use strict';

const { isEmail } = require('./email');

function signup(store, email) {
  if (!isEmail(email)) {
    throw new Error('invalid email');
  }
  return store.add({ email });
}

module.exports = { signup };
