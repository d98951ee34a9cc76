'use strict';

const assert = require('node:assert');
const test = require('node:test');
const { cartTotal } = require('./cart');

test('an empty cart costs nothing', () => {
  assert.strictEqual(cartTotal([]), 0);
});

test('prices are multiplied by quantities', () => {
  assert.strictEqual(cartTotal([{ price: 2, qty: 3 }, { price: 1, qty: 1 }]), 7);
});
