"""The pages a company's user opens (Codat's Link): the company redirect and connection start."""
