'use strict';

function isEmail(text) {
  return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(text);
}

function signup(store, email) {
  if (!isEmail(email)) {
    throw new Error('invalid email');
  }
  return store.add({ email });
}

module.exports = { signup };
