'use strict';

function fmtUser(u) {
  return u.first + ' ' + u.last + ' <' + u.email + '>';
}

module.exports = { fmtUser };
