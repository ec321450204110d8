// Default contacts: show only the contacts of the customer chosen above.
(function () {
  "use strict";
  var customer = document.getElementById("id_customer");
  var contacts = document.getElementById("id_default_contacts");
  if (!customer || !contacts) { return; }
  function filter() {
    var chosen = customer.value;
    Array.prototype.forEach.call(contacts.options, function (option) {
      var match = !chosen || option.getAttribute("data-customer") === chosen;
      option.hidden = !match;
      if (!match) { option.selected = false; }
    });
  }
  customer.addEventListener("change", filter);
  filter();
})();
