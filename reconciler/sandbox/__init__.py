"""The API emulator: one package per emulated API (``reconciler/sandbox/<vendor>/``, registered under the
``reconciler.sandboxes`` entry points), served by the shared files here, which name none of them. Each
stands on its own reading of its API document."""
