// Walks the guide's severity decision tree on the declare form. The page embeds, for every prefix of
// yes/no answers, the severity it already decides ("" when undecided), computed on the server from
// incidents.severity_tree; this script only follows that map. Without it the form still works: tick
// "use the decision tree", answer the questions, and the server decides.
(function () {
  "use strict";
  var root = document.querySelector("[data-severity-tree]");
  var data = document.getElementById("severity-tree-outcomes");
  var select = document.getElementById("id_severity");
  var useTree = document.getElementById("id_use_tree");
  if (!root || !data || !select || !useTree) return;

  var outcomes = JSON.parse(data.textContent);
  var questions = Array.prototype.slice.call(root.querySelectorAll("[data-question]"));
  var result = root.querySelector("[data-tree-result]");
  var settingSeverity = false;
  root.classList.add("js");

  function answerOf(question) {
    var checked = question.querySelector("input[type=radio]:checked");
    return checked ? checked.value : null;
  }

  function labelOf(severity) {
    var option = select.querySelector('option[value="' + severity + '"]');
    return option ? option.textContent : severity;
  }

  function walk() {
    var prefix = "";
    var severity = outcomes[prefix];
    var shown = 0;
    while (!severity && shown < questions.length) {
      var answer = answerOf(questions[shown]);
      shown += 1;
      if (!answer) break;
      prefix += answer === "yes" ? "y" : "n";
      severity = outcomes[prefix];
    }
    questions.forEach(function (question, index) {
      question.hidden = index >= shown;
    });
    if (severity) {
      settingSeverity = true;
      select.value = severity;
      settingSeverity = false;
      useTree.checked = true;
      result.textContent = "Suggested severity: " + labelOf(severity) + ". It is set above.";
      result.className = "tree-result decided";
    } else {
      // Leave "use the decision tree" as it is: the server asks for the missing answer if it stays ticked.
      result.textContent = "Answer the question to continue.";
      result.className = "tree-result";
    }
  }

  root.addEventListener("change", function (event) {
    if (event.target.type === "radio") walk();
  });
  select.addEventListener("change", function () {
    // Choosing a severity by hand overrides the tree.
    if (settingSeverity || !useTree.checked) return;
    useTree.checked = false;
    result.textContent = "You chose " + labelOf(select.value) + " yourself; the tree's suggestion is not used.";
    result.className = "tree-result";
  });
  useTree.addEventListener("change", function () {
    if (useTree.checked) walk();
  });

  if (questions.some(function (q) { return answerOf(q); })) {
    walk();
  } else {
    questions.forEach(function (question, index) { question.hidden = index > 0; });
    result.textContent = "Answer from the top to get a suggestion.";
  }
})();
