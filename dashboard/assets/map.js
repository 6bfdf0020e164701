/*
 * Functions the map's GeoJSON layers call (dash-leaflet resolves {"variable": "ccMap.<name>"}).
 * dash-leaflet passes its props as the last argument ("context"): context.hideout holds the layer's
 * name and base style, set by dashboard/components/map.py.
 * Nothing here loads anything: labels are divIcons (no marker images), tooltips are text.
 */
window.ccMap = (function () {
    "use strict";

    function escapeHtml(value) {
        return String(value === undefined || value === null ? "" : value)
            .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
            .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
    }

    function hideout(context) {
        return (context && context.hideout) || {};
    }

    var marked = {};

    var SELECTION = {
        townships: {color: "#0f2540", weight: 3.5, opacity: 0.55},
        communities: {color: "#e8590c", weight: 2, opacity: 0.75, dashArray: "8 5"},
        zones: {color: "#c8553d", weight: 2, opacity: 0.75, dashArray: "2 5"},
        cells: {color: "#e8590c", weight: 3, opacity: 1, fill: true, fillColor: "#e8590c", fillOpacity: 0.25},
        other: {color: "#e8590c", weight: 3, opacity: 1}
    };

    return {
        /* Every registered layer: its base style, a per-feature fill, and a class for CSS and tests. */
        featureStyle: function (feature, context) {
            var h = hideout(context);
            var style = Object.assign({}, h.style || {});
            var props = feature.properties || {};
            if (props.fill) {
                style.fillColor = props.fill;
            }
            style.className = "cc-feature cc-layer-" + (h.layer || "unknown");
            return style;
        },

        /* The offline base: land over the map's water-coloured background, quiet township borders. */
        baseStyle: function () {
            return {color: "#c9c1ae", weight: 1.2, opacity: 1, fillColor: "#f5f2ea", fillOpacity: 1,
                    className: "cc-base-land"};
        },

        /* What a click selected: the innermost feature (the cell) strongest, the outer ones quieter. */
        selectionStyle: function (feature) {
            var layer = (feature.properties || {}).layer;
            var style = SELECTION[layer] || SELECTION.other;
            return Object.assign({fill: false, className: "cc-selected cc-selected-" + layer}, style);
        },

        polygonsOnly: function (feature) {
            return Boolean(feature.geometry) && feature.geometry.type !== "Point";
        },

        /* Label points (role "label") become text; the first township label marks the first render. */
        labelMarker: function (feature, latlng, context) {
            var h = hideout(context);
            var props = feature.properties || {};
            if (props.role !== "label") {
                return L.circleMarker(latlng, {radius: 4});
            }
            var marker = L.marker(latlng, {
                icon: L.divIcon({
                    className: "cc-label cc-label-" + (h.layer || "unknown"),
                    html: "<span>" + escapeHtml(props.label) + "</span>",
                    iconSize: null
                }),
                interactive: false,
                keyboard: false
            });
            marker.once("add", function () {
                var name = "cc:" + (h.layer || "unknown") + "-labels";
                if (!marked[name] && window.performance && performance.mark) {
                    marked[name] = true;
                    performance.mark(name);
                }
            });
            return marker;
        },

        /* Hover shows the feature's name (areas only: labels are not interactive). */
        bindTooltip: function (feature, layer) {
            var props = feature.properties || {};
            if (props.role === "label" || !props.label) {
                return;
            }
            layer.bindTooltip(escapeHtml(props.label), {sticky: true, direction: "top", className: "cc-tooltip"});
        }
    };
})();
