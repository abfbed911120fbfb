// login.js: the sign-in page (POST /v1/auth/login, then back to the page
// in ?next= or the overview) and the first-run page that creates the owner
// (POST /v1/setup, then signs in).
(function () {
  'use strict';
  var TW = window.TW;

  function values(form) {
    var o = {};
    ['email', 'password', 'name'].forEach(function (k) {
      var i = form.elements[k];
      if (i) o[k] = k === 'password' ? i.value : i.value.trim();
    });
    return o;
  }

  // next is where to go after signing in: the page that sent the visitor
  // here (?next=/customers/p1), if it is one of this site's, else /.
  function next() {
    var n = new URLSearchParams(location.search).get('next') || '';
    return TW.safePath(n) ? n : '/';
  }

  function signIn(email, password) {
    return TW.api('POST', '/v1/auth/login', { email: email, password: password }, { noRedirect: true });
  }

  TW.onReady(function () {
    var box = TW.$('#auth-error');
    var login = TW.$('#login-form');
    if (login) {
      login.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var v = values(login);
        if (!v.email || !v.password) {
          TW.showError(box, { message: TW.t('login.missing') });
          return;
        }
        TW.busy(login.querySelector('button[type=submit]'), signIn(v.email, v.password)).then(function () {
          location.assign(next());
        }, function (err) {
          TW.showError(box, err);
          TW.fieldError(login, err);
          login.elements.password.value = '';
          login.elements.password.focus();
        });
      });
    }
    var setup = TW.$('#setup-form');
    if (setup) {
      setup.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var v = values(setup);
        if (!v.email || !v.password) {
          TW.showError(box, { message: TW.t('login.missing') });
          return;
        }
        var p = TW.api('POST', '/v1/setup', { email: v.email, password: v.password, name: v.name }, { noRedirect: true })
          .then(function () { return signIn(v.email, v.password); });
        TW.busy(setup.querySelector('button[type=submit]'), p).then(function () {
          location.assign('/');
        }, function (err) {
          TW.showError(box, err);
          TW.fieldError(setup, err);
          if (err && err.status === 409) {
            box.appendChild(document.createTextNode(' '));
            box.appendChild(TW.link('/login', TW.t('setup.go_login')));
          }
        });
      });
    }
  });
})();
