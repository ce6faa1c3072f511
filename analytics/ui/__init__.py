"""The one place in ``analytics`` that imports streamlit: cached wrappers and the sidebar filters."""
