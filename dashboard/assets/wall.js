/*
 * Functions the wall's map layers call (dash-leaflet resolves {"variable": "ccWall.<name>"}); see
 * dashboard/components/wall_map.py. dash-leaflet passes its props as the last argument ("context"):
 * context.hideout carries the colours and, for the townships, each township's fill and KPI value.
 * Markers are divIcons sized in CSS (em), so they grow with the wall's font; overdue cases pulse (CSS).
 * Nothing here loads anything.
 */
window.ccWall = (function () {
    "use strict";

    function escapeHtml(value) {
        return String(value === undefined || value === null ? "" : value)
            .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
            .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
    }

    function hideout(context) {
        return (context && context.hideout) || {};
    }

    function english() {
        var root = document.getElementById("cc-root");
        return Boolean(root && root.className.indexOf("cc-lang-en") >= 0);
    }

    function icon(className, html) {
        return L.divIcon({className: "wall-icon", html: '<div class="' + className + '">' + html + "</div>",
                          iconSize: null});
    }

    function mark(name) {
        if (window.performance && performance.mark && !performance.getEntriesByName(name).length) {
            performance.mark(name);
        }
    }

    return {
        baseStyle: function () {
            return {color: "#27405f", weight: 1, opacity: 1, fillColor: "#13233a", fillOpacity: 1,
                    className: "wall-base-land"};
        },

        polygonsOnly: function (feature) {
            return Boolean(feature.geometry) && feature.geometry.type !== "Point";
        },

        /* Townships: filled by the chosen KPI (hideout.fills), outlined. */
        townshipStyle: function (feature, context) {
            var fill = (hideout(context).fills || {})[(feature.properties || {}).code];
            return {color: "#6f9ccc", weight: 1.6, opacity: 0.9, fillColor: fill || "#1b3050",
                    fillOpacity: fill ? 0.42 : 0.15, className: "wall-township"};
        },

        /* Township names (label points) with the KPI value underneath. */
        townshipLabel: function (feature, latlng, context) {
            var props = feature.properties || {};
            var value = (hideout(context).values || {})[props.code];
            var html = "<span>" + escapeHtml(props.label) + "</span>" +
                (value !== undefined ? "<b>" + escapeHtml(value) + "</b>" : "");
            mark("wall:townships");
            return L.marker(latlng, {icon: icon("wall-label", html), interactive: false, keyboard: false});
        },

        townshipTooltip: function (feature, layer, context) {
            var props = feature.properties || {};
            if (props.role === "label") {
                return;
            }
            var h = hideout(context);
            var value = (h.values || {})[props.code];
            var text = escapeHtml(props.label) + (value !== undefined ? "<br>" + escapeHtml(h.kpi) + ": " +
                escapeHtml(value) : "");
            layer.bindTooltip(text, {sticky: true, className: "wall-tooltip"});
        },

        /* Report density: rectangles in the class colour the server chose. */
        densityStyle: function (feature) {
            var props = feature.properties || {};
            return {stroke: false, fillColor: props.fill || "#fd8d3c", fillOpacity: 0.55,
                    className: "wall-density wall-density-" + (props.level || 0)};
        },

        densityTooltip: function (feature, layer) {
            var props = feature.properties || {};
            layer.bindTooltip(escapeHtml(props.label), {sticky: true, className: "wall-tooltip"});
        },

        /* Open cases: a disc per case, a numbered disc per cluster, coloured by status group. */
        caseMarker: function (feature, latlng, context) {
            var props = feature.properties || {};
            var colour = (hideout(context).colours || {})[props.group] || "#3fa9ff";
            var overdue = props.overdue > 0 ? " wall-overdue" : "";
            var style = ' style="background:' + colour + '"';
            mark("wall:cases");
            if (props.role === "cluster") {
                var size = props.count >= 1000 ? " wall-cluster-xl" : props.count >= 100 ? " wall-cluster-l" :
                    props.count >= 10 ? " wall-cluster-m" : "";
                return L.marker(latlng, {
                    icon: L.divIcon({className: "wall-icon", iconSize: null,
                        html: '<div class="wall-cluster wall-g-' + props.group + overdue + size + '"' + style +
                              "><span>" + escapeHtml(props.count) + "</span></div>"}),
                    keyboard: false
                });
            }
            return L.marker(latlng, {
                icon: L.divIcon({className: "wall-icon", iconSize: null,
                    html: '<div class="wall-case wall-g-' + props.group + overdue + '"' + style + "></div>"}),
                keyboard: false
            });
        },

        caseTooltip: function (feature, layer) {
            var props = feature.properties || {};
            var en = english();
            var text;
            if (props.role === "cluster") {
                text = (en ? "Open cases: " : "在办案件 ") + props.count +
                    (props.overdue ? (en ? ", overdue: " : "，超期 ") + props.overdue : "");
                layer.on("click", function (event) {
                    var map = event.target._map;
                    if (map) {
                        map.setView(event.latlng, Math.min(map.getZoom() + 2, map.getMaxZoom()));
                    }
                });
            } else {
                text = "<b>" + escapeHtml(props.label) + "</b><br>" + escapeHtml(props.status_label) + " · " +
                    escapeHtml(props.code) + (props.deadline ? "<br>" + (en ? "due " : "时限 ") +
                    escapeHtml(props.deadline) : "") + (props.overdue ? (en ? " (overdue)" : "（超期）") : "");
            }
            layer.bindTooltip(text, {direction: "top", className: "wall-tooltip"});
        },

        /* Teams: a square in the status colour at their base (or latest reported position). */
        teamMarker: function (feature, latlng, context) {
            var props = feature.properties || {};
            var colour = (hideout(context).colours || {})[props.status] || "#8fa3b8";
            mark("wall:teams");
            return L.marker(latlng, {
                icon: L.divIcon({className: "wall-icon", iconSize: null,
                    html: '<div class="wall-team wall-team-' + props.status + '" style="background:' + colour +
                          '">' + (props.active ? escapeHtml(props.active) : "") + "</div>"}),
                keyboard: false
            });
        },

        teamTooltip: function (feature, layer) {
            var props = feature.properties || {};
            var en = english();
            var status = {idle: en ? "standing by" : "待命", dispatched: en ? "dispatched" : "已派遣",
                          on_site: en ? "on site" : "现场处置"}[props.status] || props.status;
            layer.bindTooltip("<b>" + escapeHtml(props.label) + "</b><br>" + status +
                (props.active ? (en ? ", cases: " : "，在办 ") + props.active : ""),
                {direction: "top", className: "wall-tooltip"});
        }
    };
})();
