"""Why a face classifier decided: attribution heatmaps, filter views, embedding maps, attacks."""
