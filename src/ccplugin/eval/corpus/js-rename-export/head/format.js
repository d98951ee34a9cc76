'use strict';

function formatUser(u) {
  return u.first + ' ' + u.last + ' <' + u.email + '>';
}

module.exports = { formatUser };
