// The side panel of the modeler: edits what CarePath reads from the selected element, through the
// modeler's modeling API (so undo works): name, documentation, lane role, a user task's form file and
// instructions, a service task's operator and parameters, timer expressions, the called decision,
// scripts, conditions and called processes.
(function () {
  "use strict";
  var SPIFF = "spiffworkflow:";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  window.CarePathProps = function (modeler, box, opts) {
    var modeling = modeler.get("modeling");
    var moddle = modeler.get("moddle");
    var current = null;
    var uid = 0;

    function is(bo, type) { return bo && bo.$instanceOf && bo.$instanceOf(type); }
    function values(bo) { return (bo.extensionElements && bo.extensionElements.values) || []; }
    function ext(bo, type) { return values(bo).filter(function (v) { return v.$type === SPIFF + type; })[0]; }

    // Replaces one kind of extension element (or removes it with null), keeping the others.
    function setExt(element, type, value) {
      var bo = element.businessObject;
      var kept = values(bo).filter(function (v) { return v.$type !== SPIFF + type; });
      if (value) { kept.push(value); }
      var container = moddle.create("bpmn:ExtensionElements", { values: kept });
      kept.forEach(function (v) { v.$parent = container; });
      modeling.updateProperties(element, { extensionElements: kept.length ? container : undefined });
    }

    function property(bo, name) {
      var props = ext(bo, "Properties");
      var found = props && (props.properties || []).filter(function (p) { return p.name === name; })[0];
      return found ? found.value || "" : "";
    }

    function setProperty(element, name, value) {
      var props = ext(element.businessObject, "Properties");
      var list = (props && props.properties || []).filter(function (p) { return p.name !== name; }).map(function (p) {
        return moddle.create(SPIFF + "Property", { name: p.name, value: p.value });
      });
      if (value) { list.push(moddle.create(SPIFF + "Property", { name: name, value: value })); }
      setExt(element, "Properties", list.length ? moddle.create(SPIFF + "Properties", { properties: list }) : null);
    }

    function field(label, input) {
      var id = "studio-prop-" + (++uid);
      input.id = id;
      box.appendChild(el("label", { "for": id }, label));
      box.appendChild(input);
      return input;
    }

    function text(label, value, onChange, multiline) {
      var input = el(multiline ? "textarea" : "input", multiline ? {} : { type: "text" });
      input.value = value || "";
      input.addEventListener("change", function () { onChange(input.value); });
      return field(label, input);
    }

    function select(label, options, value, onChange) {
      var input = el("select");
      input.appendChild(el("option", { value: "" }, "—"));
      options.forEach(function (o) {
        var option = el("option", { value: o }, o);
        if (o === value) { option.selected = true; }
        input.appendChild(option);
      });
      if (value && options.indexOf(value) < 0) { input.appendChild(el("option", { value: value, selected: "selected" }, value)); }
      input.addEventListener("change", function () { onChange(input.value); });
      return field(label, input);
    }

    function formula(bo, key) { return bo[key] ? bo[key].body || "" : ""; }

    function userTask(element, bo) {
      var forms = opts.forms();
      var form = select(opts.t.form, forms, property(bo, "formJsonSchemaFilename"), function (v) {
        setProperty(element, "formJsonSchemaFilename", v);
      });
      form.setAttribute("data-prop", "formJsonSchemaFilename");
      var add = el("button", { type: "button", id: "studio-new-form" }, opts.t.newForm);
      add.addEventListener("click", function () {
        var name = window.prompt(opts.t.newFormName, (bo.id || "form") + ".json");
        if (!name) { return; }
        name = name.replace(/^forms\//, "");
        if (!/\.json$/.test(name)) { name += ".json"; }
        opts.onNewForm(name, bo.name || "");
        setProperty(element, "formJsonSchemaFilename", name);
      });
      box.appendChild(add);
      select(opts.t.uiForm, forms, property(bo, "formUiSchemaFilename"), function (v) { setProperty(element, "formUiSchemaFilename", v); });
      text(opts.t.instructions, property(bo, "instructionsForEndUser"), function (v) {
        setProperty(element, "instructionsForEndUser", v);
      }, true).setAttribute("data-prop", "instructionsForEndUser");
    }

    function serviceTask(element, bo) {
      var op = ext(bo, "ServiceTaskOperator");
      var params = op && op.parameterList ? op.parameterList.parameters || [] : [];
      function save(operator, result, rows) {
        if (!operator) { setExt(element, "ServiceTaskOperator", null); return; }
        var list = rows.filter(function (r) { return r.id; }).map(function (r) {
          return moddle.create(SPIFF + "Parameter", { id: r.id, type: r.type || "str", value: r.value || "" });
        });
        setExt(element, "ServiceTaskOperator", moddle.create(SPIFF + "ServiceTaskOperator", {
          id: operator, resultVariable: result || undefined,
          parameterList: moddle.create(SPIFF + "Parameters", { parameters: list })
        }));
      }
      var rows = params.map(function (p) { return { id: p.id, type: p.type, value: p.value }; });
      var opInput = select(opts.t.operator, opts.operators, op ? op.id : "", function (v) { save(v, resultInput.value, rows); });
      opInput.setAttribute("data-prop", "operator");
      var resultInput = text(opts.t.result, op ? op.resultVariable : "", function (v) { save(opInput.value, v, rows); });
      box.appendChild(el("label", {}, opts.t.params));
      var table = el("table", { "class": "studio-params" });
      rows.concat([{ id: "", type: "str", value: "" }]).forEach(function (row, index) {
        var tr = el("tr");
        ["id", "type", "value"].forEach(function (key) {
          var input = el("input", { type: "text", placeholder: opts.t["param_" + key], "aria-label": opts.t["param_" + key] });
          input.value = row[key] || "";
          input.addEventListener("change", function () {
            if (index >= rows.length) { rows.push(row); }
            row[key] = input.value;
            save(opInput.value, resultInput.value, rows);
          });
          var td = el("td"); td.appendChild(input); tr.appendChild(td);
        });
        table.appendChild(tr);
      });
      box.appendChild(table);
    }

    function timer(element, def) {
      var kind = def.timeDate ? "timeDate" : "timeDuration";
      var input;
      var kindInput = select(opts.t.timerKind, ["timeDuration", "timeDate"], kind, function (v) { apply(v, input.value); });
      input = text(opts.t.timerExpr, formula(def, kind) || formula(def, "timeCycle"), function (v) { apply(kindInput.value || "timeDuration", v); });
      input.setAttribute("data-prop", "timer");
      function apply(which, body) {
        var props = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
        props[which] = moddle.create("bpmn:FormalExpression", { body: body });
        modeling.updateModdleProperties(element, def, props);
      }
    }

    function render(element) {
      current = element;
      box.textContent = "";
      if (!element || element.type === "label") { box.appendChild(el("p", {}, opts.t.none)); return; }
      var bo = element.businessObject;
      box.appendChild(el("p", { "class": "studio-kind" }, bo.$type.replace("bpmn:", "") + " · " + bo.id));
      if (is(bo, "bpmn:Lane")) {
        select(opts.t.role, opts.roles, bo.name || "", function (v) { modeling.updateProperties(element, { name: v }); })
          .setAttribute("data-prop", "lane");
      } else if (!is(bo, "bpmn:Process") && !is(bo, "bpmn:Collaboration")) {
        text(opts.t.name, bo.name, function (v) { modeling.updateProperties(element, { name: v }); }).setAttribute("data-prop", "name");
      }
      var doc = (bo.documentation && bo.documentation[0] && bo.documentation[0].text) || "";
      text(opts.t.documentation, doc, function (v) {
        modeling.updateProperties(element, { documentation: v ? [moddle.create("bpmn:Documentation", { text: v })] : [] });
      }, true);
      if (is(bo, "bpmn:UserTask") || is(bo, "bpmn:ManualTask")) { userTask(element, bo); }
      if (is(bo, "bpmn:ServiceTask")) { serviceTask(element, bo); }
      if (is(bo, "bpmn:ScriptTask")) {
        text(opts.t.script, bo.script, function (v) { modeling.updateProperties(element, { script: v, scriptFormat: "python" }); }, true)
          .setAttribute("data-prop", "script");
      }
      if (is(bo, "bpmn:BusinessRuleTask")) {
        var called = ext(bo, "CalledDecisionId");
        text(opts.t.decision, called ? called.value : "", function (v) {
          setExt(element, "CalledDecisionId", v ? moddle.create(SPIFF + "CalledDecisionId", { value: v }) : null);
        });
      }
      if (is(bo, "bpmn:CallActivity")) {
        text(opts.t.calledElement, bo.calledElement, function (v) { modeling.updateProperties(element, { calledElement: v }); });
      }
      if (is(bo, "bpmn:SequenceFlow")) {
        text(opts.t.condition, formula(bo, "conditionExpression"), function (v) {
          modeling.updateProperties(element, { conditionExpression: v ? moddle.create("bpmn:FormalExpression", { body: v }) : undefined });
        });
      }
      (bo.eventDefinitions || []).forEach(function (def) {
        if (is(def, "bpmn:TimerEventDefinition")) { timer(element, def); }
      });
    }

    modeler.on("selection.changed", function (e) { render(e.newSelection[0]); });
    modeler.on("element.changed", function (e) {
      if (current && e.element === current && !box.contains(document.activeElement)) { render(current); }
    });
    render(null);
    return { render: function () { render(current); } };
  };
}());
