"""Output size of each face embedder, known without loading it (or importing torch).

Galleries are checked against it before any model loads; ``get_embedder`` verifies that a
loaded model agrees, so this table cannot drift from the models.
"""

EMBEDDING_DIMS = {"facenet": 512, "facenet-vggface2": 512, "sface": 128}
