'use strict';

function cartTotal(items) {
  var total = 0;
  for (var i = 0; i < items.length; i++) {
    total += items[i].price * items[i].qty;
  }
  return total;
}

module.exports = { cartTotal };
