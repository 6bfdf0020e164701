/*
 * Functions the situation map's layers call (dash-leaflet resolves {"variable": "ccSituation.<name>"}); see
 * dashboard/pages/situation.py. context.hideout carries the status colours. Single cases are discs, busier
 * squares numbered discs; an overdue case (or a square holding one) gets a red ring. Nothing is loaded.
 */
window.ccSituation = (function () {
    "use strict";

    function escapeHtml(value) {
        return String(value === undefined || value === null ? "" : value)
            .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
            .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
    }

    function english() {
        var root = document.getElementById("cc-root");
        return Boolean(root && root.className.indexOf("cc-lang-en") >= 0);
    }

    return {
        densityStyle: function (feature) {
            var props = feature.properties || {};
            // a stroke of the fill colour keeps a block of one busy 100 m cell visible when zoomed out
            return {stroke: true, color: props.fill || "#fd8d3c", weight: 3, opacity: 0.55,
                    fillColor: props.fill || "#fd8d3c", fillOpacity: 0.6,
                    className: "sit-density sit-density-" + (props.level || 0)};
        },

        densityTooltip: function (feature, layer) {
            layer.bindTooltip(escapeHtml((feature.properties || {}).label), {sticky: true, className: "cc-tooltip"});
        },

        caseMarker: function (feature, latlng, context) {
            var props = feature.properties || {};
            var colours = ((context && context.hideout) || {}).colours || {};
            var colour = colours[props.group] || "#3fa9ff";
            var overdue = props.overdue > 0 ? " sit-overdue" : "";
            if (props.role === "cluster") {
                var size = props.count >= 100 ? " sit-cluster-l" : props.count >= 10 ? " sit-cluster-m" : "";
                return L.marker(latlng, {
                    icon: L.divIcon({className: "sit-icon", iconSize: null,
                        html: '<div class="sit-cluster' + overdue + size + '" style="background:' + colour + '"><span>' +
                              escapeHtml(props.count) + "</span></div>"}),
                    keyboard: false
                });
            }
            return L.marker(latlng, {
                icon: L.divIcon({className: "sit-icon", iconSize: null,
                    html: '<div class="sit-case' + overdue + '" style="background:' + colour + '"></div>'}),
                keyboard: false
            });
        },

        caseTooltip: function (feature, layer) {
            var props = feature.properties || {};
            var en = english();
            var text;
            if (props.role === "cluster") {
                text = (en ? "Open cases: " : "在办案件 ") + escapeHtml(props.count) +
                    (props.overdue ? (en ? ", overdue: " : "，超期 ") + escapeHtml(props.overdue) : "");
            } else {
                text = "<b>" + escapeHtml(props.label) + "</b><br>" + escapeHtml(props.status_label) + " · " +
                    escapeHtml(props.code) + (props.deadline ? "<br>" + (en ? "due " : "时限 ") +
                    escapeHtml(props.deadline) : "") + (props.overdue ? (en ? " (overdue)" : "（超期）") : "");
            }
            layer.bindTooltip(text, {direction: "top", className: "cc-tooltip"});
        }
    };
})();
