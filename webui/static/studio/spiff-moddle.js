// A moddle descriptor for the spiffworkflow extension elements CarePath reads (SpiffArena's namespace),
// so the modeler keeps them as typed elements the properties panel can edit and writes them back as
// <spiffworkflow:properties>, <spiffworkflow:serviceTaskOperator>, <spiffworkflow:calledDecisionId>...
(function () {
  "use strict";
  function attr(name) { return { name: name, isAttr: true, type: "String" }; }
  window.CarePathSpiffModdle = {
    name: "SpiffWorkflow",
    prefix: "spiffworkflow",
    uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
    xml: { tagAlias: "lowerCase" },
    associations: [],
    types: [
      { name: "Properties", superClass: ["Element"], properties: [{ name: "properties", type: "Property", isMany: true }] },
      { name: "Property", superClass: ["Element"], properties: [attr("name"), attr("value")] },
      { name: "InstructionsForEndUser", superClass: ["Element"], properties: [{ name: "value", isBody: true, type: "String" }] },
      { name: "CalledDecisionId", superClass: ["Element"], properties: [{ name: "value", isBody: true, type: "String" }] },
      { name: "PreScript", superClass: ["Element"], properties: [{ name: "value", isBody: true, type: "String" }] },
      { name: "PostScript", superClass: ["Element"], properties: [{ name: "value", isBody: true, type: "String" }] },
      { name: "ServiceTaskOperator", superClass: ["Element"],
        properties: [attr("id"), attr("resultVariable"), { name: "parameterList", type: "Parameters" }] },
      { name: "Parameters", superClass: ["Element"], properties: [{ name: "parameters", type: "Parameter", isMany: true }] },
      { name: "Parameter", superClass: ["Element"], properties: [attr("id"), attr("type"), attr("value")] }
    ]
  };
}());
